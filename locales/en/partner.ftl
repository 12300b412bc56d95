# Partner program: the partner cabinet in a tracker bot and the author's partners in the platform bot.

cmd-tracker-partner = Partner cabinet
partner-btn-open = 🤝 Partner cabinet
partner-welcome =
    🤝 You are now a partner of { $name }!
    Invite people with your links and get a share of each of their payments — on three levels.
    Open the partner cabinet with /partner or the button below.

## Cabinet main window
partner-main =
    🤝 Partner cabinet — { $name }

    Earned in this tracker: { $settled }
    Expected from paid periods not yet closed: { $forecast }
partner-not-allowed =
    🤝 The partner program of { $name }

    Clients of this tracker and the author's partners can invite people and get a share of their payments.
    To become a partner:
    • pay for any plan (a month is { $price }) and the cabinet opens by itself;
    • or ask the author (or one of their partners) for a "become my partner" link.
partner-not-allowed-short = Invite links are for clients of this tracker and the author's partners. See the cabinet's main window.
partner-btn-links = 🔗 My links
partner-btn-earnings = 💰 My earnings
partner-btn-network = 👥 My network
partner-btn-chart = 📊 12-month chart
partner-btn-howto = ❓ How the money is split
partner-btn-close = ✖️ Close
partner-btn-back = ⬅️ Back

## Links
partner-links-title = 🔗 Your links (clicks → starts → paying → revenue → your earnings):
partner-link-line =
    { $kind ->
        [partner] 🤝 { $label } ("become my partner" link)
       *[client] 🔗 { $label }
    }
    { $clicks } → { $starts } → { $paying } → { $revenue } → { $earned }
    { $conversion }
    { $url }
partner-links-empty =
    You have no links yet.
    Create your first one — say, one per channel or campaign — and share it: everyone who comes through it and pays brings you a share.
partner-link-no-label = no label
partner-btn-new-link = ➕ Create a link
partner-ask-label = What should the link be called? Send a label (a channel or a campaign, up to 64 characters) or press "No label".
partner-btn-no-label = No label
partner-ask-rename = Send the link's new label (up to 64 characters).
partner-link-card =
    { $kind ->
        [partner] 🤝 { $label } ("become my partner" link)
       *[client] 🔗 { $label }
    }
    Clicks: { $clicks }
    Starts: { $starts }
    Paying: { $paying }
    Revenue: { $revenue }
    Your earnings: { $earned }
    Conversion: { $conversion }

    { $url }
partner-btn-share = 📤 Share
partner-btn-qr = 🔳 QR code
partner-btn-rename = ✏️ Rename
partner-btn-archive = 🗄 Archive
partner-link-created = The link is created.
partner-link-renamed = The label is saved.
partner-link-archived = The link is archived: it brings no new people, its numbers stay.
partner-share-text = Try { $name } — an AI tracker in Telegram.
partner-qr-caption = The QR code of your link: { $url }

## Earnings
partner-earnings =
    💰 Your earnings on this tracker

    Accrued: { $settled_total }
    { $settled_levels }

    Expected from paid periods not yet closed: { $forecast_total }
    { $forecast_levels }

    By month:
    { $months_text }
partner-level-author = As the author: { $amount }
partner-level-n = Level { $level }: { $amount }
partner-month-line = { $month }: { $total } ({ $levels })
partner-month-author = , as the author { $author }
partner-months-empty = nothing accrued yet
partner-chart-title = { $name }: earnings by month
partner-chart-author = As the author
partner-chart-caption = 📊 Earnings over 12 months by level, { $total } in all.

## Network
partner-network =
    👥 Your network: { $people } { $people ->
    [one] person
   *[other] people
}

    { $levels }

    Came through your links: { $names }
# One line per level the commission schedule pays (1 to 6).
partner-network-level = Level { $level }: { $people }, paying { $paying }
partner-network-empty =
    👥 Nobody in your network yet.
    Share your link — the people who come through it, and those they bring, will show up here.

## How the money is split
partner-howto =
    ❓ How the money is split in { $name }

    A month costs { $price }. The AI's cost is taken off each payment and the rest is split:
    • the platform — { $platform_pct }% (up to { $platform_amount });
    • the tracker's author — { $author_pct }% (up to { $author_amount });
    { $levels }
    A level nobody holds goes to the platform.
    A client's inviter is the first link they opened, fixed for good at their first payment. Nobody can invite themselves.
    The money is accrued when a paid period ends.
partner-howto-no-price =
    ❓ How the money is split in { $name }

    The AI's cost is taken off each payment and the rest is split: the platform { $platform_pct }%, the author { $author_pct }%, { $levels_inline }. A level nobody holds goes to the platform.
    The author has not set a price yet.

## Domain errors
referral-not-allowed = Links can be made by the author, clients who have paid and the author's partners.
referral-partner-link-author-only = Only the tracker's author can make a "become my partner" link.
referral-not-author = This is not your tracker.
referral-link-not-found = Link not found.
referral-tracker-not-found = Tracker not found.
referral-label-too-long = The label is too long: 64 characters at most.
referral-too-many-links = Too many active links: archive the ones you do not need.

## Platform bot: the author's partners
btn-partners = 🤝 Partners
btn-partner-link = ➕ "Become my partner" link
partners-title =
    🤝 Partners of { $name } (@{ $username }): { $total }

    Your earnings here:
    as the author — { $as_author }
    as a partner (through your own links) — { $as_partner }
    expected from open periods — { $forecast }
    Clients through your links: { $own_clients }
partners-partner =
    { $kind ->
        [named] 🤝 { $first_name } (partner)
       *[client] 👤 { $first_name } (client)
    }: brought { $members }, paying { $subscribers }, earned { $total }
    { $levels }
partners-link-line = 🔗 { $label }: { $clicks } → { $starts } → { $paying } → { $revenue }
partners-empty = No partners yet. Create a "become my partner" link and send it to the people who will promote the tracker.
partners-more = …and { $more } more.
partners-link-label = become my partner
partners-link-created =
    The "become my partner" link of { $name }:
    { $new_link }
    Send it to your representative: opening it makes them your partner and you their inviter.
partner-refund-alert =
    ⚠️ { $name } (@{ $username }): the clients of partner { $partner } refund unusually often — { $refunded } of { $payments } payments ({ $percent }%). Check it is not fraud.
