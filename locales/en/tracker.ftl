# A tracker bot: what a client sees.

tracker-greeting =
    Hello, { $first_name }! I am { $name }.
    { $description }
tracker-help =
    { $name } is your AI tracker.
    /start to start over
    /help for this help
tracker-is-paused = { $name } is paused for now; its author will resume it soon. Your data and subscription are kept.
