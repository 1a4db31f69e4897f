// Reload the export page every second while the export runs (the only script of the workbench).
setTimeout(function () { window.location.reload(); }, 1000);
