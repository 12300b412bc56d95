"""What people read: the message catalogs (`i18n.catalog`) and how numbers, money and dates look
(`i18n.format`). The bottom layer beside `models`: no aiogram, importable from anywhere."""
