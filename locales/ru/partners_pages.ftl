# Бот платформы: постраничный список партнёров автора.

partners-more-links = 🔗 …и ещё ссылок: { $more }
partners-links-count = 🔗 Ссылок: { $count }
