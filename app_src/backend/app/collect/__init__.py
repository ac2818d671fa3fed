"""Collectors: news (CryptoPanic, Newscatcher) and smart-money flows (Nansen) into the database.

Run one with `python -m app.collect cryptopanic|newscatcher|nansen`.
"""
