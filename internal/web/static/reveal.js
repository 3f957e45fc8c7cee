// The reveal page shows a key code for a limited time, then hides it. The
// server also sends a Refresh header back to the job, for browsers without
// scripts; this hides the code in place and counts down.
(function () {
  var box = document.getElementById('revealed');
  if (!box) { return; }
  var left = parseInt(box.getAttribute('data-seconds'), 10) || 60;
  var timer = document.getElementById('reveal-left');
  var tick = setInterval(function () {
    left -= 1;
    if (left > 0) {
      if (timer) { timer.textContent = left === 1 ? '1 second' : left + ' seconds'; }
      return;
    }
    clearInterval(tick);
    box.parentNode.removeChild(box);
    var note = document.getElementById('reveal-hidden');
    if (note) { note.hidden = false; }
  }, 1000);
})();
