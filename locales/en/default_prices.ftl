# Default model prices (billing/default_prices.py).

admin-prices-shipped = OpenAI's models come with default prices from its price list of { $as_of } (USD at 100 RUB, mJ at 1.5 RUB), added at start only for models with no price; your prices are never changed.
