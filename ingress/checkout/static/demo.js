/*
 * The demo shop's page script.  It never sees a card: PayWave's card fields make a token, the shop's server
 * (/checkout/demo/pay) creates the payment with it, and the page polls the shop's server for the payment's
 * status.  A payment that needs the customer (3-D Secure, PayPal approval) answers requires_action with
 * next_action.redirect_to_url.url: the page goes there, remembering the payment in sessionStorage, and
 * shows the final status when the customer is sent back here (the payment's return_url).  A customer who
 * came back without confirming (PayPal's Cancel) finds the payment still waiting for them: the page says
 * so and offers to continue where they left, or to pay another way; it never calls that a failure.
 */
(function () {
  "use strict";

  var STORED = "paywave-demo-payment";
  var POLL_MS = 500;
  var POLL_FOR_MS = 60000;
  // Back from the action and still requires_action this long after: PayWave has read the outcome by then
  // (the return queued the read), so the customer left without confirming.
  var AWAIT_AFTER_MS = 4000;
  var FINAL = { succeeded: 1, failed: 1, canceled: 1, requires_capture: 1 };
  var payButton = document.getElementById("pay");
  var paypalButton = document.getElementById("paypal");
  var box = document.getElementById("status");
  var actionLink = document.getElementById("status-action");
  var paywave = PayWave(document.body.dataset.key).mount("#card-fields");

  function show(state, title, detail) {
    box.hidden = false;
    box.dataset.state = state;
    document.getElementById("status-title").textContent = title;
    document.getElementById("status-detail").textContent = detail || "";
    actionLink.hidden = true;
  }

  // The payment still waits for the customer: say so, and let them go back to confirm it.
  function awaiting(payment) {
    sessionStorage.removeItem(STORED);
    busy(false);
    show("requires_action", "Waiting for your confirmation",
      "You have not confirmed this payment yet: continue, or choose another way to pay. · " + payment.id);
    actionLink.href = payment.next_action.redirect_to_url.url;
    actionLink.dataset.payment = payment.id;
    actionLink.hidden = false;
  }

  function busy(on) {
    payButton.disabled = paypalButton.disabled = on;
  }

  function shop(path, options) {
    return fetch(path, options).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          var first = (body.errors || [])[0];
          throw new Error(first ? first.field + " " + first.reason : body.detail || body.title);
        }
        return body;
      });
    });
  }

  function pay(body) {
    busy(true);
    show("pending", "Processing your payment…");
    return shop("/checkout/demo/pay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(follow);
  }

  // The payment as the shop's server read it: done, sent to the customer's action, or polled again (also
  // while it still says requires_action after the customer came back: PayWave is reading the outcome).
  function follow(payment, started, returned) {
    started = started || Date.now();
    if (FINAL[payment.status]) return finished(payment);
    var action = payment.next_action;
    if (!returned && payment.status === "requires_action" && action && action.type === "redirect_to_url") {
      sessionStorage.setItem(STORED, payment.id);
      show("pending", "Redirecting you to confirm the payment…", payment.id);
      window.location.assign(action.redirect_to_url.url);
      return;
    }
    if (returned && payment.status === "requires_action" && action && Date.now() - started > AWAIT_AFTER_MS) {
      return awaiting(payment);
    }
    if (Date.now() - started > POLL_FOR_MS) {
      show("pending", "Still processing", payment.id + " is " + payment.status + "; refresh to check again.");
      busy(false);
      return;
    }
    show("pending", "Processing your payment…", payment.id + " · " + payment.status);
    return new Promise(function (resolve) {
      setTimeout(resolve, POLL_MS);
    }).then(function () {
      return shop("/checkout/demo/payments/" + encodeURIComponent(payment.id));
    }).then(function (next) {
      return follow(next, started, returned);
    });
  }

  function finished(payment) {
    sessionStorage.removeItem(STORED);
    busy(false);
    var amount = (payment.amount / 100).toFixed(2) + " " + payment.currency;
    if (payment.status === "succeeded" || payment.status === "requires_capture") {
      show("succeeded", "Payment succeeded", amount + " · " + payment.id);
    } else {
      var reason = payment.failure_message || payment.failure_code || payment.status;
      show(payment.status, "Payment " + payment.status, reason + " · " + payment.id);
    }
  }

  function failed(error) {
    busy(false);
    show("error", "Payment not completed", error.message);
  }

  actionLink.addEventListener("click", function () {
    sessionStorage.setItem(STORED, actionLink.dataset.payment); // shown again when the customer is back
  });

  payButton.addEventListener("click", function () {
    busy(true);
    paywave.createToken().then(function (token) {
      return pay({ token: token.id });
    }).catch(function (error) {
      if (error.type === "validation_error") {
        busy(false); // the card fields show it inline
        box.hidden = true;
      } else {
        failed(error);
      }
    });
  });

  paypalButton.addEventListener("click", function () {
    pay({ paypal: true }).catch(failed);
  });

  // Back from a customer action (the payment's return_url): show where the payment ended.
  var returned = new URLSearchParams(window.location.search).get("payment_id") || sessionStorage.getItem(STORED);
  if (returned) {
    busy(true);
    show("pending", "Confirming your payment…", returned);
    shop("/checkout/demo/payments/" + encodeURIComponent(returned)).then(function (payment) {
      return follow(payment, Date.now(), true);
    }).catch(failed);
  }
})();
