# Platform bot: the author's partners, page by page.

partners-more-links = 🔗 …and { $more } more links
partners-links-count = 🔗 Links: { $count }
