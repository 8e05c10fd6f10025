// The desk in the browser: one status (GET /status.json, then pushed on /events) drawn as
// a flatplan, a page view with its findings pinned, and the errors of a failed build.
// Page images are fetched by their token, so only the pages that changed load again.
"use strict";

const desk = {
  status: null,
  selected: null,
  thumbs: new Map(), // page number -> {fig, img, token}
};
// When each page's image last finished loading (page number or "view" -> {token, at}):
// scripts and the benchmark read it.
window.deskLoaded = {};
window.deskEvents = []; // every status received: {at, build, state, changed}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function imageUrl(page, size) {
  return `/pages/${page.number}.jpg?size=${size}&t=${page.token}`;
}

function spreadsOf(count) {
  // The spreads of a bound magazine: page 1 alone on the right, then 2-3, 4-5, ...
  if (count < 1) return [];
  const out = [[null, 1]];
  for (let n = 2; n <= count; n += 2) out.push([n, n + 1 <= count ? n + 1 : null]);
  return out;
}

function findingsByPage(status) {
  const by = new Map();
  for (const f of status.findings) {
    if (!f.page) continue;
    if (!by.has(f.page)) by.set(f.page, []);
    by.get(f.page).push(f);
  }
  return by;
}

function adLabel(ads) {
  const names = { full: "IKLAN 1/1", half: "IKLAN 1/2", quarter: "IKLAN 1/4" };
  return ads.map((a) => names[a] || a).join(" + ");
}

function drawFlatplan(status) {
  const box = document.getElementById("spreads");
  const pages = status.pages;
  const fits = new Map(status.articles.map((a) => [a.first_page, a]));
  const found = findingsByPage(status);
  const changed = new Set(status.changed);
  const layoutKey = pages.length;
  if (box.dataset.count !== String(layoutKey)) {
    box.replaceChildren();
    desk.thumbs.clear();
    for (const [left, right] of spreadsOf(pages.length)) {
      const spread = el("div", { class: "spread" });
      for (const n of [left, right]) {
        if (n === null) {
          spread.append(el("figure", { class: "pg blank", "aria-hidden": "true" }, el("div", { class: "sheet" })));
          continue;
        }
        const img = el("img", { alt: `page ${n}`, loading: "lazy", decoding: "async" });
        const fig = el("figure", { class: "pg", "data-page": n, tabindex: "0" },
          el("div", { class: "sheet" }, img), el("figcaption"));
        img.addEventListener("load", () => {
          window.deskLoaded[n] = { token: img.dataset.token, at: Date.now() };
        });
        fig.addEventListener("click", () => select(n));
        fig.addEventListener("keydown", (e) => { if (e.key === "Enter") select(n); });
        spread.append(fig);
        desk.thumbs.set(n, { fig, img, token: null });
      }
      box.append(spread);
    }
    box.dataset.count = String(layoutKey);
  }
  for (const page of pages) {
    const t = desk.thumbs.get(page.number);
    if (!t) continue;
    const { fig, img } = t;
    fig.dataset.kind = page.kind;
    fig.classList.toggle("selected", desk.selected === page.number);
    if (t.token !== page.token) {
      img.dataset.token = page.token;
      img.src = imageUrl(page, "thumb");
      if (t.token !== null && changed.has(page.number)) {
        fig.classList.remove("changed");
        void fig.offsetWidth; // restart the animation
        fig.classList.add("changed");
      }
      t.token = page.token;
    }
    const sheet = fig.querySelector(".sheet");
    sheet.querySelectorAll(".tag, .count, .fit").forEach((n) => n.remove());
    if (page.ads.length) {
      sheet.append(el("span", { class: "tag", title: page.advertiser || "", text: adLabel(page.ads) }));
    }
    const here = found.get(page.number) || [];
    if (here.length) {
      const errors = here.filter((f) => f.severity === "error").length;
      sheet.append(el("span", {
        class: errors ? "count" : "count warn",
        title: `${here.length} finding(s) on this page`,
        text: String(here.length),
      }));
    }
    const fit = fits.get(page.number);
    if (fit) {
      const cls = fit.lines_over ? "fit over" : fit.lines_free ? "fit free" : "fit";
      const short = fit.lines_over ? `${fit.lines_over} over` : fit.lines_free ? `${fit.lines_free} free` : "fits";
      sheet.append(el("span", {
        class: cls,
        title: `${fit.title}: ${fit.pages} of ${fit.planned_pages} planned pages, ${fit.verdict}`,
        text: short,
      }));
    }
    const cap = fig.querySelector("figcaption");
    const label = page.kind === "article" && page.rubric && page.first ? `${page.rubric}` : "";
    cap.replaceChildren(
      el("b", { text: String(page.number) }),
      el("span", { text: label }),
      el("span", { class: page.first ? "sec start" : "sec", title: page.section, text: page.section }),
    );
  }
}

function drawArticles(status) {
  const body = document.querySelector("#articles tbody");
  body.replaceChildren();
  for (const a of status.articles) {
    const cls = a.lines_over ? "num over" : a.lines_free ? "num free" : "num";
    const row = el("tr", {},
      el("td", { class: "num", text: String(a.first_page) }),
      el("td", { text: a.title }),
      el("td", {}, el("code", { text: a.source })),
      el("td", { class: "num", title: `from the ${a.planned_by}`, text: `${a.planned_pages} pp` }),
      el("td", { class: "num", text: `${a.pages} pp` }),
      el("td", { class: cls, text: a.verdict }),
    );
    row.addEventListener("click", () => select(a.first_page));
    body.append(row);
  }
}

function findingItem(f, number) {
  const li = el("li", { value: number || null },
    el("span", { class: `sev ${f.severity}`, text: f.severity }),
    el("span", { text: f.message }),
    f.hint ? el("span", { class: "hint", text: ` (${f.hint})` }) : null,
  );
  if (f.source) li.append(el("span", { class: "src" }, "edit ", el("code", { text: f.source })));
  return li;
}

function drawIssueFindings(status) {
  const list = document.getElementById("issue-findings");
  const general = status.findings.filter((f) => !f.page);
  list.replaceChildren(...general.map((f) => findingItem(f)));
  if (!general.length) list.append(el("li", { class: "empty", text: "none" }));
}

function drawErrors(status) {
  const box = document.getElementById("errors");
  const failed = status.state === "failed";
  box.hidden = !failed;
  document.getElementById("error-list").replaceChildren(
    ...(failed ? status.errors.map((e) => el("li", { text: e.text })) : []),
  );
}

function drawHeader(status) {
  document.body.dataset.state = status.state;
  document.body.dataset.build = String(status.build);
  document.getElementById("state").textContent = status.state;
  document.getElementById("issue-title").textContent =
    `${status.title || status.issue} \u00b7 ${status.profile} edition`;
  document.title = `${status.title || status.issue} \u2014 edition desk`;
  const info = status.build ? `build ${status.build}, ${status.pages.length} pages, ${status.seconds.toFixed(2)} s` : "";
  document.getElementById("build-info").textContent = info;
  const nav = document.getElementById("downloads");
  nav.replaceChildren(...status.downloads.map((d) => el("a", {
    href: d.href,
    class: d.current ? null : "stale",
    title: d.current ? "built from the files as they are now" : "older than the issue's files",
    download: true,
    text: `${d.profile} PDF \u00b7 ${(d.bytes / 1e6).toFixed(1)} MB${d.current ? "" : " (older)"}`,
  })));
}

function drawPageView() {
  const status = desk.status;
  const img = document.getElementById("page-image");
  const pins = document.getElementById("pins");
  const list = document.getElementById("page-findings");
  const title = document.getElementById("pv-title");
  if (!status || !desk.selected || desk.selected > status.pages.length) {
    pins.replaceChildren();
    list.replaceChildren();
    return;
  }
  const page = status.pages[desk.selected - 1];
  title.replaceChildren(
    document.createTextNode(`Page ${page.number} \u00b7 ${page.section}`),
    el("small", { text: [page.rubric, page.ads.length ? adLabel(page.ads) : null, page.source ? `edit ${page.source}` : null].filter(Boolean).join(" \u00b7 ") }),
  );
  if (img.dataset.token !== page.token) {
    img.dataset.token = page.token;
    img.dataset.page = String(page.number);
    img.alt = `page ${page.number}`;
    img.src = imageUrl(page, "page");
  }
  const here = status.findings.filter((f) => f.page === page.number);
  pins.replaceChildren();
  list.replaceChildren();
  here.forEach((f, i) => {
    if (f.x !== null && f.y !== null) {
      pins.append(el("span", {
        class: `pin ${f.severity}`,
        style: `left:${(f.x * 100).toFixed(2)}%;top:${(f.y * 100).toFixed(2)}%`,
        title: f.message,
        text: String(i + 1),
      }));
    }
    list.append(findingItem(f, i + 1));
  });
  if (!here.length) list.append(el("li", { class: "empty", text: "No findings on this page." }));
}

function select(n) {
  if (!desk.status) return;
  const count = desk.status.pages.length;
  desk.selected = Math.max(1, Math.min(count, n));
  if (location.hash !== `#${desk.selected}`) history.replaceState(null, "", `#${desk.selected}`);
  for (const [num, t] of desk.thumbs) t.fig.classList.toggle("selected", num === desk.selected);
  drawPageView();
}

function draw(status) {
  desk.status = status;
  drawHeader(status);
  drawErrors(status);
  drawFlatplan(status);
  drawArticles(status);
  drawIssueFindings(status);
  if (desk.selected === null && status.pages.length) {
    const wanted = parseInt(location.hash.slice(1), 10);
    desk.selected = wanted >= 1 && wanted <= status.pages.length ? wanted : 1;
  }
  if (desk.selected) select(desk.selected);
}

function connect() {
  const source = new EventSource("/events");
  source.addEventListener("status", (e) => {
    const status = JSON.parse(e.data);
    window.deskEvents.push({
      at: Date.now(),
      build: status.build,
      state: status.state,
      changed: status.changed,
      pages_seconds: status.pages_seconds,
    });
    if (window.deskEvents.length > 200) window.deskEvents.shift();
    draw(status);
  });
  source.addEventListener("error", () => {
    document.getElementById("state").textContent = "reconnecting";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const view = document.getElementById("page-image");
  view.addEventListener("load", () => {
    window.deskLoaded.view = { token: view.dataset.token, page: Number(view.dataset.page), at: Date.now() };
  });
  document.getElementById("prev").addEventListener("click", () => select((desk.selected || 1) - 1));
  document.getElementById("next").addEventListener("click", () => select((desk.selected || 1) + 1));
  document.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("input, textarea")) return;
    if (e.key === "ArrowLeft") select((desk.selected || 1) - 1);
    if (e.key === "ArrowRight") select((desk.selected || 1) + 1);
  });
  connect();
});
