// Confirm the file: name the chosen file, its size and the location beside the checkbox.
document.addEventListener("change", function (e) {
  if (e.target.id !== "aging-file" && e.target.id !== "aging-location") return;
  var file = document.getElementById("aging-file").files[0];
  var loc = document.getElementById("aging-location");
  var where = loc.options[loc.selectedIndex] ? loc.options[loc.selectedIndex].text : "";
  document.getElementById("aging-chosen").textContent = file
    ? file.name + " (" + Math.ceil(file.size / 1024) + " KB) for " + where : "choose a file";
  document.getElementById("aging-confirm").checked = false;
});
