import pytest

from evidence_crawler.prices import parse_price


@pytest.mark.parametrize(("text", "default", "amount", "currency"), [
    ("$1.87", "USD", "1.87", "USD"),
    ("45,60 руб.", "USD", "45.60", "RUB"),
    ("1 234,50 р.", None, "1234.50", "RUB"),
    ("€2.49", None, "2.49", "EUR"),
    ("£51.77", None, "51.77", "GBP"),
    ("USD 3.00", "EUR", "3.00", "USD"),
    ("2.50 EUR", None, "2.50", "EUR"),
    ("12.5", "USD", "12.5", "USD"),  # no symbol: the profile's currency; digits as printed
    ("$4.99", "CAD", "4.99", "CAD"),  # a bare $ in a CAD shop is CAD
    ("", "USD", None, "USD"),
])
def test_price_text_to_amount_and_iso_currency(text, default, amount, currency):
    assert parse_price(text, default) == (amount, currency)
