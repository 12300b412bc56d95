# The author's AI panel: amounts and weekdays in the author's language.

ai-mj-amount = { $mj } mJ
weekday-short = { $day ->
    [0] Mon
    [1] Tue
    [2] Wed
    [3] Thu
    [4] Fri
    [5] Sat
   *[6] Sun
}
