# The AI tracker: the conversation, meetings, the budget, the author's test chat.

cmd-tracker-meet = Start a meeting
cmd-tracker-end = End the meeting

ai-queue-full = I am still answering your earlier messages. Please wait a little: I am not taking new ones just now.
ai-apology = Sorry, I cannot answer right now: the model is unavailable. Please try again in a minute; this message was not charged.
ai-budget-reached = This accounting period's mJ limit is used up. It renews on { $until }, and we will go on then.
ai-meeting-ended = The meeting is over. It used { $mj } mJ.
ai-no-meeting = There is no open meeting. /meet starts one.
ai-meet-none = This tracker has no on-demand meetings: just write a message.
ai-meet-pick = Which meeting shall we start?
ai-tz-help =
    Your time zone makes meetings come at your local time. Now: { $current }.
    Send, for example: /tz Europe/Berlin
ai-tz-set = Time zone: { $tz }. Meetings will come at your local time.

ai-alert-budget = { $tracker }: client { $client } has used { $percent }% of the period's limit ({ $spent } of { $limit } mJ).
ai-alert-llm-config = { $tracker }: model { $model } does not answer, a configuration error ({ $kind }): an invalid API key or a model that does not exist. Clients get an apology; please check the settings.
ai-alert-no-price = Model { $model } has no price in mJ: answers are not metered. Set the model's price.
ai-alert-no-rate = There is no mJ to RUB rate: answers are not metered. Add a rate.

btn-ai-settings = 🤖 AI and scenarios
ai-panel =
    { $name }: the AI tracker
    Model: { $model }
    Free messages: { $free }
    Limit per client per period: { $limit }
    Rate: { $rate } RUB per mJ

    System prompt:
    { $prompt }

    Scenarios:
    { $scenario_lines }
ai-panel-no-scenarios = none yet
ai-panel-no-prompt = not set
ai-panel-limit-default = by the plan price (the margin never goes negative)
ai-panel-no-rate = not set
ai-scenario-line = • { $name } — { $trigger } — { $avg } mJ on average
ai-trigger-once = once, when the subscription is paid
ai-trigger-on-demand = on demand (/meet)
ai-trigger-weekly = { $days } at { $time }
btn-ai-prompt = ✏️ System prompt
btn-ai-model = 🧠 Model
btn-ai-free = 🎁 Free messages
btn-ai-limit = 📉 mJ limit
btn-ai-new-scenario = ➕ New scenario
ai-ask-prompt = Send the tracker's system prompt: who it is and how it talks to a client.
ai-pick-model = Pick the model (the platform admin sets the prices):
ai-no-models = The admin has not priced any model yet: there is nothing to pick.
ai-ask-free = How many messages may a client write for free, before paying? Send a number (0 for none).
ai-ask-limit = How many mJ may a client use per accounting period? Send a number, or 0 for the plan price's limit.
ai-bad-number = A whole number, zero or more, please.
ai-saved = Saved.
ai-ask-scenario-name = What is the scenario called? For example "Contracting" or "Tuesday meeting".
ai-ask-scenario-prompt = Send the scenario's prompt: what the tracker does in this meeting.
ai-ask-scenario-when =
    When does the meeting happen? Send one of:
    • once — once, when the subscription is paid
    • demand — when the client asks (/meet)
    • days and a time, for example: mon,thu 19:00
ai-bad-when = I did not understand the schedule. Examples: once, demand, mon,thu 19:00
ai-ask-scenario-end =
    How does the meeting end? Send one of:
    • end — by the client's /end
    • a marker, for example: marker [END]
    • a timeout in minutes, for example: timeout 30
ai-bad-end = I did not understand. Examples: end, marker [END], timeout 30
ai-scenario-card =
    Scenario "{ $name }"
    When: { $trigger }
    Ends: { $ending }
    Meetings held: { $meetings }, { $avg } mJ on average

    { $prompt }
ai-end-command = by /end
ai-end-marker = by the marker { $marker } or /end
ai-end-timeout = after { $minutes } min of silence or /end
btn-ai-scenario-prompt = ✏️ Prompt
btn-ai-scenario-when = 🗓 When
btn-ai-scenario-end = ⏹ How it ends
btn-ai-test-chat = 💬 Chat (test)
btn-ai-scenario-delete = 🗑 Delete the scenario
ai-test-chat =
    Test chat: scenario "{ $name }". Write as a client would; the real model answers.
    Used in this meeting: { $mj } mJ.
btn-ai-test-end = ⏹ End the meeting
ai-test-result =
    The meeting is over: { $mj } mJ ({ $cost } RUB).
    On average for "{ $name }": { $avg } mJ a meeting.

    { $estimate }
ai-estimate =
    Cost per client per month: { $lines }
    In all { $mj } mJ = { $cost } RUB at { $rate } RUB per mJ.
    { $margin }
ai-estimate-line = { $name }: { $count } { $count ->
    [one] meeting
   *[other] meetings
} × { $avg } mJ
ai-estimate-margin = At a month price of { $price } RUB the margin is { $margin } RUB.
ai-estimate-no-price = No month price is set: there is no margin to show.
ai-estimate-none = no regular meetings
