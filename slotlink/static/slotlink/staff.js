// Progressive enhancements for staff pages; everything works without them.
(function () {
  function enhance(root) {
    // Filter the broadcast-rule dropdown by typing part of a title.
    root.querySelectorAll(".rule-filter:not([data-ready])").forEach(function (input) {
      input.dataset.ready = "1";
      var select = document.getElementById(input.getAttribute("aria-controls"));
      if (!select) return;
      input.hidden = false;
      input.addEventListener("input", function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        var firstMatch = null;
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.value) return;
          var text = option.text.toLowerCase();
          var match = words.every(function (w) { return text.indexOf(w) !== -1; });
          option.hidden = !match;
          if (match && !firstMatch) firstMatch = option;
        });
        // Keep a visible choice; replace the placeholder or a choice the filter just hid.
        var current = select.selectedOptions[0];
        if (firstMatch && (!current || !current.value || current.hidden)) select.value = firstMatch.value;
        if (!firstMatch) select.value = "";
      });
    });
    // Copy a live link to the clipboard.
    root.querySelectorAll(".js-copy:not([data-ready])").forEach(function (button) {
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        field.select();
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = "Copied";
        }, function () {
          button.textContent = "Press Ctrl+C to copy";
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
