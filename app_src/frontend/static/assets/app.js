// OhMyCoins dashboard: log in, then show news, smart-money flows and the PnL summary.
// Same-origin API (the load balancer routes /api/* to the backend); no third-party code.
"use strict";

const API = "/api/v1";
const ROUTES = {
  login: `${API}/login/access-token`,
  me: `${API}/users/me`,
  news: `${API}/news/`,
  flows: `${API}/smart-money/flows`,
  pnl: `${API}/pnl/summary`,
};
const TOKEN_KEY = "ohmycoins.token";

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, params = {}) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(key, value);
  }
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
  if (response.status === 429) {
    const wait = response.headers.get("Retry-After") || "a few";
    throw new ApiError(429, `Too many requests: try again in ${wait} seconds.`);
  }
  if (!response.ok) throw new ApiError(response.status, `${path}: HTTP ${response.status}`);
  return response.json();
}

function showStatus(message) {
  $("status").textContent = message || "";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function usd(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return "–";
  return number.toLocaleString("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
}

function signClass(value) {
  const number = Number(value);
  return number > 0 ? "pos" : number < 0 ? "neg" : "";
}

function when(iso) {
  return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "–";
}

function renderNews(page) {
  const rows = page.data.map((item) => {
    const tr = document.createElement("tr");
    const title = document.createElement("td");
    const link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.title;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    title.append(link);
    tr.append(cell(when(item.published_at)), title, cell(item.currencies.join(", ")), cell(item.source));
    return tr;
  });
  $("news-rows").replaceChildren(...rows);
  $("news-count").textContent = `${page.data.length} of ${page.count} items`;
}

function renderFlows(page) {
  const rows = page.data.map((flow) => {
    const tr = document.createElement("tr");
    tr.append(
      cell(when(flow.period_start)),
      cell(flow.chain),
      cell(flow.token_symbol || flow.token_address),
      cell(usd(flow.net_flow_usd), `num ${signClass(flow.net_flow_usd)}`),
    );
    return tr;
  });
  $("flow-rows").replaceChildren(...rows);
  $("flow-total").textContent = `Net flow over ${page.count} rows: ${usd(page.total_net_flow_usd)}`;
}

function renderPnl(summary) {
  for (const [field, id] of [
    ["realized_pnl", "pnl-realized"],
    ["unrealized_pnl", "pnl-unrealized"],
    ["total_pnl", "pnl-total"],
    ["fees", "pnl-fees"],
  ]) {
    $(id).textContent = usd(summary[field]);
    $(id).className = field === "fees" ? "" : signClass(summary[field]);
  }
}

async function loadNews() {
  renderNews(
    await api(ROUTES.news, {
      currency: $("news-currency").value.trim(),
      source: $("news-source").value,
      limit: 25,
    }),
  );
}

async function loadDashboard() {
  const me = await api(ROUTES.me);
  $("who").textContent = me.email;
  const results = await Promise.allSettled([
    loadNews(),
    api(ROUTES.flows, { limit: 25 }).then(renderFlows),
    api(ROUTES.pnl).then(renderPnl),
  ]);
  const failed = results.find((r) => r.status === "rejected");
  showStatus(failed ? failed.reason.message : "");
}

function show(view) {
  $("login-view").hidden = view !== "login";
  $("dashboard").hidden = view !== "dashboard";
  $("session").hidden = view !== "dashboard";
  document.body.dataset.view = view;
}

async function start() {
  if (!token()) {
    show("login");
    return;
  }
  try {
    await loadDashboard();
    show("dashboard");
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      show("login");
    }
    showStatus(error.message);
  }
}

async function login(event) {
  event.preventDefault();
  showStatus("");
  const body = new URLSearchParams({ username: $("email").value, password: $("password").value });
  const response = await fetch(ROUTES.login, { method: "POST", body });
  if (!response.ok) {
    showStatus(response.status === 429 ? "Too many attempts; wait a minute." : "Wrong e-mail or password.");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
  $("password").value = "";
  await start();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    show("login");
  });
  $("news-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    loadNews().then(() => showStatus(""), (error) => showStatus(error.message));
  });
  start();
});
