// Starts Swagger UI on the API document; kept in a file because the CSP forbids inline scripts.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    onComplete: function () {
      // Swagger UI's server picker has no accessible name of its own.
      var servers = document.getElementById("servers");
      if (servers && !servers.getAttribute("aria-label")) { servers.setAttribute("aria-label", "Servers"); }
    },
  });
});
