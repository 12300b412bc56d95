# A tracker bot: what a client sees.

tracker-greeting =
    Hello, { $first_name }! I am { $name }.
    { $description }
tracker-help =
    { $name } is your AI tracker. Just write a message and I will answer.
    { $commands }
tracker-is-paused = { $name } is paused for now; its author will resume it soon. Your data and subscription are kept.
