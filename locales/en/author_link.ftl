# The author's own link: made with the tracker, shown on the tracker card.

tracker-link-label = Main link
partner-howto-unattributed-author = A client who came without anyone's link counts as invited by the author: the author takes level 1 of their payments.
admin-unattributed = { $rule ->
    [author] Clients without a link: the author takes level 1.
   *[platform] Clients without a link: every level goes to the platform.
}
admin-btn-unattributed = { $rule ->
    [author] 🔁 Clients without a link → the platform (from now)
   *[platform] 🔁 Clients without a link → the author (from now)
}
admin-unattributed-changed = A new schedule is in force from { $valid_from }: { $rule ->
    [author] the author takes level 1 of clients without a link.
   *[platform] the levels of clients without a link go to the platform.
}
