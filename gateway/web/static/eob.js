// Manual EOB keyboard flow: Tab out of a blank adjustment line jumps to the next procedure's
// payment (or, after the last one, to the claim box), so a biller never tabs through empties.
document.addEventListener("keydown", function (e) {
  if (e.key !== "Tab" || e.shiftKey) return;
  var el = e.target;
  if (!el.matches || !el.matches("input[data-adj-code]")) return;
  var amount = el.closest("tr").querySelector("input[data-adj-amount]");
  if (el.value.trim() !== "" || (amount && amount.value.trim() !== "")) return;
  var next = document.getElementById(el.getAttribute("data-next"));
  if (next) { e.preventDefault(); next.focus(); if (next.select) next.select(); }
});
