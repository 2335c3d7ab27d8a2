// PeakEnd's session cookie (peakend/ui/auth.py puts this script on a page when there is
// something to do, its orders as data- attributes). A script run can't set an HttpOnly
// cookie: after a sign-in it hands over a one-time nonce that this script swaps for the
// cookie at POST /auth/session; after a sign-out (or a session that ended) it asks
// POST /auth/signout to clear the cookie. A file served by the app: the CSP allows no
// inline scripts.
(() => {
  const orders = document.currentScript.dataset;
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {}),
  }).catch(() => undefined);
  if (orders.forget) post("/auth/signout");
  if (orders.nonce) post("/auth/session", {nonce: orders.nonce});
})();
