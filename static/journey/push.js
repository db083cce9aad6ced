// Offers "remind me in this browser": registers the service worker, asks the browser's
// permission only when the student presses the button, and sends the subscription to the API.
(function () {
  const script = document.currentScript;
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  if (!script || !button || !("serviceWorker" in navigator) || !("PushManager" in window)) {
    return;
  }
  const vapidKey = script.dataset.vapidKey;
  const subscribeUrl = script.dataset.subscribeUrl;
  const workerUrl = script.dataset.workerUrl;

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+")
      .replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function say(text) {
    status.textContent = text;
    status.hidden = false;
  }

  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  async function subscribe() {
    const registration = await navigator.serviceWorker.register(workerUrl);
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say("This browser will not show reminders (permission not given).");
      return;
    }
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(vapidKey),
    });
    const response = await fetch(subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(subscription.toJSON()),
    });
    say(response.ok ? "Block reminders will also appear in this browser." : "Could not turn on reminders in this browser.");
  }

  button.hidden = false;
  button.addEventListener("click", () => {
    subscribe().catch(() => say("Could not turn on reminders in this browser."));
  });
})();
