# Growing the partner network: partners' "become my partner" links, the nudge after the first
# payment, events in the private chat.

## Partner cabinet: the "become my partner" link
partner-btn-recruit-link = 🤝 "Become my partner" link
partner-recruit-share-text = Become a partner of { $name }, an AI tracker in Telegram: invite people and get a share of what they pay.

## Platform bot: the tracker card
btn-partners-recruit = { $partners_recruit ->
    [yes] ✅ Partners recruit partners
   *[no] ▫️ Partners recruit partners
}
tracker-partners-recruit-on = Partners can make their own "become my partner" links again.
tracker-partners-recruit-off = "Become my partner" links are yours alone now: partners' links no longer make new partners, though they still invite clients as usual.

## The nudge after the first payment (right after "✅ Payment received!")
payment-earn-nudge =
    🤝 You can now earn with { $name }: share your link. You get a share of every payment from the people who come through it, and a share of what the people they bring pay.

    Your link: { $url }

    Links, their statistics and your earnings are in the partner cabinet: /partner
