# The platform bot: the author's menu and tracker management.

cmd-platform-start = Main menu
cmd-platform-help = How it works
cmd-tracker-start = Start
cmd-tracker-help = Help

platform-help =
    GPTitor is a platform for AI tracker bots.
    Create a bot with @BotFather, send its token here, and your tracker goes live at once.
    Clients pay for a subscription inside Telegram; the margin is split: platform { $platform }%, author { $author }%, partners { $levels } (by invitation level; the shares in force now, which may change).
    /start opens the main menu.
platform-unknown = I did not understand that. Press /start for the menu, or /help.
dialog-expired = This menu is out of date, opening it again.

menu-title = Hi, { $first_name }! This is GPTitor, the home of your AI trackers.
menu-no-trackers = You have no trackers yet. Press "New tracker" to connect a bot.
menu-your-trackers = Your trackers:
tracker-list-item = { $status ->
    [active] 🟢
    [paused] ⏸
   *[other] ⚠️
} { $name } (@{ $username })

btn-new-tracker = ➕ New tracker
btn-back = ← Back
btn-to-list = ← To my trackers
btn-edit-name = ✏️ Name
btn-edit-description = 📝 Description
btn-pause = ⏸ Pause
btn-resume = ▶️ Resume
btn-replace-token = 🔑 Replace token
btn-delete = 🗑 Delete
btn-delete-yes = Yes, delete
btn-delete-no = No, keep it

new-tracker-howto =
    How to connect a tracker:
    1. Open @BotFather and send /newbot (or /token for a bot you already have).
    2. Copy the token that looks like 123456789:AA… and send it here.
    I delete the message with the token from the chat right away.

token-not-a-token = That does not look like a bot token. A token looks like 123456789:AAH… and comes from @BotFather.
token-rejected = Telegram did not accept this token: it was revoked or mistyped. Get the current token from @BotFather (/token).
token-platform-own = That is GPTitor's own token. Create a separate bot with @BotFather for your tracker.
token-registered-yours = The bot @{ $username } is already connected: it is in your list of trackers.
token-registered-other = The bot @{ $username } is already connected by another author. Create a new bot with @BotFather.
token-different-bot = This token belongs to another bot. Send a new token for @{ $username } itself (@BotFather → /token).
token-telegram-unreachable = Could not reach Telegram to check the token. Please try again in a minute.

tracker-created =
    🎉 Your tracker @{ $username } is live!
    Your link for clients: { $link }
    Share this one: a client who comes through it brings you the first partner level on top of the author's share.
tracker-card =
    { $name } (@{ $username })
    The link to share: { $link }
    Status: { $status ->
        [active] running
        [paused] paused: clients see a pause notice
        [revoked] token revoked: send a new token
       *[other] { $status }
    }

    { $description }
tracker-no-description = No description yet.
tracker-not-found = Tracker not found, or it belongs to another author.
tracker-saved = Saved.
tracker-paused = The tracker is paused. Clients get a pause notice and no AI answers.
tracker-resumed = The tracker is running again.
tracker-token-replaced = Token replaced, the bot is reconnected.
tracker-needs-new-token = The token of @{ $username } was revoked: send a new token first ("Replace token").
tracker-deleted = Tracker deleted. Its payment and accrual history is kept.
tracker-ask-name = Send the tracker's new name (up to 64 characters).
tracker-ask-description = Send a description; clients see it in the greeting (up to 512 characters).
tracker-ask-token = Send a new token for @{ $username } from @BotFather (/token). The old one will stop working.
tracker-name-invalid = The name must not be empty and must be at most { $max } characters.
tracker-description-invalid = The description must not be empty and must be at most { $max } characters.
tracker-delete-confirm = Delete the tracker { $name } (@{ $username })? The bot stops answering clients. Payment and accrual history stays.
tracker-token-revoked = ⚠️ Telegram rejected the token of the tracker @{ $username }, so the bot is stopped. Open it in the menu and press "Replace token".
