"""Load the dashboard in headless Chromium, log in, and see news, flows and the PnL summary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine
from sqlmodel import Session

USER = ("trader@example.com", "trader-password-0123")
NEWS_TITLES = (
    "Bitcoin reclaims key level as ETF inflows return",
    "Ether and Solana lead altcoin rebound",
    "<b>Escaped</b> headline stays text",
)


def usd(value: str) -> str:
    """The dashboard's USD format (en-US, two decimals)."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def seed_collected_data(env: dict[str, str]) -> None:
    """News and flows stored the way the collectors store them."""
    from app import crud
    from app.models import NewsItemCreate, SmartMoneyFlowCreate

    url = (
        f"postgresql+psycopg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}"
        f"@{env['POSTGRES_SERVER']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DB']}"
    )
    engine = create_engine(url)
    period = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Session(engine) as session:
        crud.upsert_news(
            session,
            [
                NewsItemCreate(
                    source="cryptopanic" if i < 2 else "newscatcher",
                    external_id=f"e2e-{i}",
                    title=title,
                    url=f"https://news.example/{i}",
                    published_at=datetime(2026, 11, 24, 20 - i, tzinfo=UTC),
                    currencies=[["BTC"], ["ETH", "SOL"], []][i],
                )
                for i, title in enumerate(NEWS_TITLES)
            ],
        )
        crud.upsert_smart_money(
            session,
            [
                SmartMoneyFlowCreate(
                    chain="ethereum",
                    token_address="0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
                    token_symbol="WETH",
                    net_flow_usd=Decimal("4812950.55"),
                    period_start=period,
                ),
                SmartMoneyFlowCreate(
                    chain="solana",
                    token_address="JUPyiwrYJFskUPiHa7hkeR8VUtAeFoSYbKedZNsDvCN",
                    token_symbol="JUP",
                    net_flow_usd=Decimal("-310442.90"),
                    period_start=period,
                ),
            ],
        )
    engine.dispose()


def token(api: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/login/access-token", data={"username": email, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def seeded(e2e_env, backend_url, admin) -> dict:
    """A trader with orders and a price, collected news and flows; returns the PnL summary."""
    seed_collected_data(e2e_env)
    with httpx.Client(base_url=backend_url, timeout=10) as api:
        api.post(
            "/api/v1/users/signup", json={"email": USER[0], "password": USER[1]}
        ).raise_for_status()
        trader = token(api, *USER)
        for order in (
            {"symbol": "BTC", "side": "buy", "quantity": "2", "price": "50000", "fee": "10"},
            {"symbol": "BTC", "side": "sell", "quantity": "1", "price": "60000", "fee": "10"},
        ):
            api.post("/api/v1/pnl/orders", json=order, headers=trader).raise_for_status()
        admin_auth = token(api, *admin)
        api.post(
            "/api/v1/pnl/prices", json={"symbol": "BTC", "price_usd": "70000"}, headers=admin_auth
        ).raise_for_status()
        summary = api.get("/api/v1/pnl/summary", headers=trader)
        summary.raise_for_status()
        return summary.json()


def wait(browser, condition, timeout: float = 20):
    return WebDriverWait(browser, timeout).until(condition)


def text(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def news_rows(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#news-rows tr")


def log_in(browser, frontend_url: str, email: str, password: str) -> None:
    browser.get(frontend_url + "/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(frontend_url + "/")
    wait(browser, ec.visibility_of_element_located((By.ID, "login-form")))
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login-submit").click()


def test_a_wrong_password_keeps_the_login_form(browser, frontend_url, seeded):
    log_in(browser, frontend_url, USER[0], "not-the-password")
    wait(browser, lambda b: text(b, "status") == "Wrong e-mail or password.")
    assert browser.find_element(By.ID, "dashboard").is_displayed() is False


def test_log_in_and_see_news_flows_and_pnl(browser, frontend_url, seeded):
    browser.get_log("browser")  # drop what earlier tests left
    log_in(browser, frontend_url, *USER)
    wait(
        browser,
        lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-view") == "dashboard",
    )
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#news-rows tr")) == 3)

    assert text(browser, "who") == USER[0]
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#news-rows tr a")]
    assert sorted(titles) == sorted(NEWS_TITLES)  # markup in a title is shown as text
    assert browser.find_elements(By.CSS_SELECTOR, "#news-rows b") == []
    rows = {r.find_element(By.TAG_NAME, "a").text: r.text for r in news_rows(browser)}
    assert rows[NEWS_TITLES[0]].startswith("2026-11-24 20:00 UTC")
    assert rows[NEWS_TITLES[0]].endswith("BTC cryptopanic")
    assert rows[NEWS_TITLES[1]].endswith("ETH, SOL cryptopanic")
    assert text(browser, "news-count") == "3 of 3 items"

    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#flow-rows tr")) == 2)
    flows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#flow-rows tr")]
    assert any("WETH" in r and "$4,812,950.55" in r for r in flows)
    assert any("JUP" in r and "-$310,442.90" in r for r in flows)
    assert text(browser, "flow-total") == "Net flow over 2 rows: $4,502,507.65"

    wait(browser, lambda b: text(b, "pnl-realized") != "–")
    assert Decimal(seeded["realized_pnl"]) > 0 and Decimal(seeded["unrealized_pnl"]) > 0
    assert text(browser, "pnl-realized") == usd(seeded["realized_pnl"])
    assert text(browser, "pnl-unrealized") == usd(seeded["unrealized_pnl"])
    assert text(browser, "pnl-total") == usd(seeded["total_pnl"])
    assert text(browser, "pnl-fees") == usd(seeded["fees"])
    assert text(browser, "status") == ""
    # Under nginx's Content-Security-Policy: no violation, no script error, no failed request.
    assert [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_filtering_news_by_currency_asks_the_api(browser, frontend_url, seeded):
    log_in(browser, frontend_url, *USER)
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#news-rows tr")) == 3)
    browser.find_element(By.ID, "news-currency").send_keys("sol")
    browser.find_element(By.CSS_SELECTOR, "#news-filter button").click()
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#news-rows tr")) == 1)
    assert browser.find_element(By.CSS_SELECTOR, "#news-rows a").text == NEWS_TITLES[1]


def test_log_out_returns_to_the_login_form(browser, frontend_url, seeded):
    log_in(browser, frontend_url, *USER)
    wait(browser, ec.visibility_of_element_located((By.ID, "logout"))).click()
    wait(browser, ec.visibility_of_element_located((By.ID, "login-form")))
    assert browser.execute_script("return sessionStorage.length") == 0


def test_a_rate_limited_user_is_told_when_to_retry(browser, frontend_url, backend_url, seeded):
    limited = ("limited@example.com", "limited-password-0123")
    with httpx.Client(base_url=backend_url, timeout=10) as api:
        api.post(
            "/api/v1/users/signup", json={"email": limited[0], "password": limited[1]}
        ).raise_for_status()
        auth = token(api, *limited)
        statuses = [api.get("/api/v1/users/me", headers=auth).status_code for _ in range(61)]
    assert statuses[-1] == 429  # the per-minute allowance is spent
    log_in(browser, frontend_url, *limited)
    wait(browser, lambda b: text(b, "status").startswith("Too many requests: try again in "))
    assert browser.find_element(By.ID, "dashboard").is_displayed() is False
