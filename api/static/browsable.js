// The browsable API's forms. The API takes a token in the Authorization header,
// which neither a link nor a plain HTML form can send, so this script keeps the
// token in sessionStorage (gone when the tab closes), asks for each page again
// with it, and submits the forms as JSON with fetch, showing the page the API
// answers. It is served as a file, never inline, so the page's
// Content-Security-Policy (default-src 'self') holds.
"use strict";

(() => {
  const storageKey = "studentapi.token";

  const storedToken = () => {
    try {
      return sessionStorage.getItem(storageKey) || "";
    } catch {
      return ""; // storage disabled: work anonymously
    }
  };

  const storeToken = (token) => {
    try {
      if (token) {
        sessionStorage.setItem(storageKey, token);
      } else {
        sessionStorage.removeItem(storageKey);
      }
    } catch {
      // storage disabled: the token lasts until the next page
    }
  };

  let token = storedToken();

  const headers = (extra) => {
    const h = { Accept: "text/html", ...extra };
    if (token) {
      h.Authorization = `${document.body.dataset.keyword || "Token"} ${token}`;
    }
    return h;
  };

  const fillToken = () => {
    const input = document.querySelector('form[data-browsable="token"] input[name="token"]');
    if (input) {
      input.value = token;
    }
  };

  // say shows a line where the answer was, for answers that are not a page:
  // DELETE's 204, or a JSON error given before the view was chosen.
  const say = (text) => {
    const result = document.getElementById("browsable-result");
    if (!result) {
      return;
    }
    result.textContent = text;
    result.hidden = false;
  };

  const show = async (response) => {
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("text/html")) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      document.title = page.title;
      document.body.replaceWith(document.adoptNode(page.body));
      fillToken();
      return;
    }
    const body = await response.text();
    say(`HTTP ${response.status} ${response.statusText}${body ? "\n" + body : ""}`);
    if (response.status === 204) {
      for (const el of document.querySelectorAll('#browsable-response, form[data-browsable="send"]')) {
        el.hidden = true;
      }
    }
  };

  const send = async (method, url, body) => {
    const init = { method, credentials: "same-origin", headers: headers({}) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = headers({ "Content-Type": "application/json" });
    }
    try {
      await show(await fetch(url, init));
    } catch (err) {
      say(`Request failed: ${err.message}`);
    }
  };

  const reload = () => send("GET", window.location.href);

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const kind = form.dataset.browsable;
    if (!kind) {
      return;
    }
    event.preventDefault();
    if (kind === "token") {
      token = new FormData(form).get("token").trim();
      storeToken(token);
      reload();
      return;
    }
    const method = form.dataset.method;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      return;
    }
    let body;
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      body = Object.fromEntries(new FormData(form));
    }
    send(method, form.getAttribute("action") || window.location.href, body);
  });

  fillToken();
  // A page reached by a link or the address bar was asked for without the
  // token; with one stored, show what the API answers to it instead.
  if (token) {
    reload();
  }
})();
