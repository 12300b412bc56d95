# The author's own link: made with the tracker, shown on the tracker card.

tracker-link-label = Main link
