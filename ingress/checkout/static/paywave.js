/*
 * PayWave.js: card fields for a merchant's checkout page, and the token they make.
 *
 *   <script src="https://<paywave>/v1/paywave.js"></script>
 *   const paywave = PayWave("pk_test_...");
 *   const card = paywave.mount("#card");          // an iframe served from PayWave's origin
 *   const token = await paywave.createToken();    // {id: "tok_...", card: {brand, last4, ...}}
 *   // on failure it rejects with a PayWaveError {type, message, field}
 *
 * The card number never enters the merchant's page: the fields live in a cross-origin iframe, which sends
 * POST /tokens itself.  Messages go both ways with strict origins: the frame answers this page's origin
 * only, and this page accepts messages only from PayWave's origin and from its own frame.
 */
(function (global) {
  "use strict";

  var script = document.currentScript;
  var PAYWAVE_ORIGIN = new URL(script.src).origin;
  var PAYWAVE_BASE = script.src.replace(/\/v1\/paywave\.js([?#].*)?$/, ""); // PayWave may sit under a path
  var TIMEOUT_MS = 30000;

  function PayWaveError(type, message, field) {
    var error = new Error(message);
    error.name = "PayWaveError";
    error.type = type; // "validation_error", "api_error", "network_error", "integration_error"
    error.field = field || null;
    return error;
  }

  function PayWave(publishableKey) {
    if (!(this instanceof PayWave)) {
      return new PayWave(publishableKey);
    }
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw PayWaveError("integration_error", "PayWave() needs a publishable key (pk_test_... or pk_live_...)");
    }
    this.key = publishableKey;
    this.frame = null;
    this.ready = null;
    this.pending = {};
    this.nextId = 1;
    this.listeners = {};
    window.addEventListener("message", this.receive.bind(this));
  }

  /* Mount the card fields into the element `target` (a selector or an element); returns this. */
  PayWave.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) {
      throw PayWaveError("integration_error", "mount(): no element matches " + target);
    }
    if (this.frame) {
      throw PayWaveError("integration_error", "mount(): the card fields are mounted already");
    }
    var frame = document.createElement("iframe");
    var query = new URLSearchParams({ key: this.key, origin: window.location.origin });
    frame.src = PAYWAVE_BASE + "/v1/card-fields?" + query.toString();
    frame.title = "Secure card payment input";
    frame.setAttribute("allowtransparency", "true");
    frame.style.cssText = "border:0;width:100%;height:118px;display:block;overflow:hidden;";
    frame.scrolling = "no";
    var self = this;
    this.ready = new Promise(function (resolve) {
      self.markReady = resolve;
    });
    container.appendChild(frame);
    this.frame = frame;
    return this;
  };

  /* Listen to the fields: "change" ({complete, brand, error}), "ready". */
  PayWave.prototype.on = function (name, callback) {
    (this.listeners[name] = this.listeners[name] || []).push(callback);
    return this;
  };

  /* A Promise of the token ({id: "tok_...", object: "token", card: {...}, expires_at}); rejects with a
     PayWaveError (the fields show a validation error themselves). */
  PayWave.prototype.createToken = function () {
    if (!this.frame) {
      return Promise.reject(PayWaveError("integration_error", "createToken(): call mount() first"));
    }
    var self = this;
    var id = this.nextId++;
    return this.ready.then(function () {
      return new Promise(function (resolve, reject) {
        var timer = setTimeout(function () {
          delete self.pending[id];
          reject(PayWaveError("network_error", "PayWave did not answer in time"));
        }, TIMEOUT_MS);
        self.pending[id] = { resolve: resolve, reject: reject, timer: timer };
        self.frame.contentWindow.postMessage({ paywave: "createToken", id: id }, PAYWAVE_ORIGIN);
      });
    });
  };

  PayWave.prototype.receive = function (event) {
    // Only PayWave's origin, and only our own frame (another PayWave frame on the page is not ours).
    if (event.origin !== PAYWAVE_ORIGIN || !this.frame || event.source !== this.frame.contentWindow) {
      return;
    }
    var message = event.data || {};
    if (message.paywave === "ready") {
      this.markReady();
      this.emit("ready", {});
    } else if (message.paywave === "change") {
      this.emit("change", { complete: !!message.complete, brand: message.brand, error: message.error });
    } else if (message.paywave === "resize" && typeof message.height === "number" && message.height > 0) {
      this.frame.style.height = Math.ceil(message.height) + "px";
    } else if (message.paywave === "result" && this.pending[message.id]) {
      var call = this.pending[message.id];
      delete this.pending[message.id];
      clearTimeout(call.timer);
      if (message.token) {
        call.resolve(message.token);
      } else {
        var e = message.error || {};
        call.reject(PayWaveError(e.type || "api_error", e.message || "the card could not be saved", e.field));
      }
    }
  };

  PayWave.prototype.emit = function (name, detail) {
    (this.listeners[name] || []).forEach(function (callback) {
      callback(detail);
    });
  };

  global.PayWave = PayWave;
})(window);
