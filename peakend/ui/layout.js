// PeakEnd's phone layout and page language (peakend/ui/layout.py puts this script on every
// page, with its settings as data- attributes). A file served by the app, not an inline
// script, so the Content-Security-Policy allows scripts from the app's own origin only.
(() => {
  const settings = document.currentScript.dataset;
  document.documentElement.lang = settings.lang;
  // Streamlit's own English labels (the password field's eye button) in the UI language
  const words = JSON.parse(settings.words);
  const translate = () => document.querySelectorAll("button[aria-label]").forEach((b) => {
    const said = words[b.getAttribute("aria-label")];
    if (said) { b.setAttribute("aria-label", said); b.title = said; }
  });
  translate();
  if (window.__peakendWords) window.__peakendWords.disconnect();
  window.__peakendWords = new MutationObserver(translate);
  window.__peakendWords.observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"]});
  // Close the sidebar after a page change on a narrow screen
  const page = settings.page;
  const seen = window.__peakendPage;
  window.__peakendPage = page;
  if (seen === undefined || seen === page || window.innerWidth >= Number(settings.sidebarFloatsBelow)) return;
  const close = (triesLeft) => {
    const button = document.querySelector(
      '[data-testid="stSidebar"][data-collapsed="false"] [data-testid="stSidebarCollapseButton"] button');
    if (button) button.click();
    else if (triesLeft > 0) setTimeout(() => close(triesLeft - 1), 100);
  };
  close(10);
})();
