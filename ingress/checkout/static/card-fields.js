/*
 * The card fields' page (GET /v1/card-fields?key=pk_...&origin=...), in an iframe on PayWave's origin.
 * It formats and checks what is typed (spaces in the number, Luhn, brand, MM / YY, CVC), shows errors inline,
 * and on the parent's "createToken" sends POST /tokens itself with the publishable key.  It talks to one
 * window: its parent, at the origin the server checked against the merchant's allowed origins.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.search);
  var KEY = params.get("key");
  var PARENT_ORIGIN = params.get("origin");
  var number = document.getElementById("number");
  var expiry = document.getElementById("expiry");
  var cvc = document.getElementById("cvc");
  var brandLabel = document.getElementById("brand");
  var errorBox = document.getElementById("error");
  var busy = false;

  // Prefixes as the networks publish them; the first match wins.
  var BRANDS = [
    { name: "amex", label: "Amex", pattern: /^3[47]/, lengths: [15], groups: [4, 6, 5], cvc: 4 },
    { name: "visa", label: "Visa", pattern: /^4/, lengths: [13, 16, 19], groups: [4, 4, 4, 4, 3], cvc: 3 },
    { name: "mastercard", label: "Mastercard", pattern: /^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/, lengths: [16],
      groups: [4, 4, 4, 4], cvc: 3 },
    { name: "discover", label: "Discover", pattern: /^(6011|65|64[4-9])/, lengths: [16, 19],
      groups: [4, 4, 4, 4, 3], cvc: 3 },
    { name: "diners", label: "Diners", pattern: /^3(0[0-5]|[689])/, lengths: [14, 16], groups: [4, 6, 4], cvc: 3 },
    { name: "jcb", label: "JCB", pattern: /^35/, lengths: [16, 19], groups: [4, 4, 4, 4, 3], cvc: 3 },
    { name: "unionpay", label: "UnionPay", pattern: /^62/, lengths: [16, 17, 18, 19], groups: [4, 4, 4, 4, 3],
      cvc: 3 }
  ];
  var UNKNOWN = { name: "unknown", label: "", lengths: [12, 13, 14, 15, 16, 17, 18, 19], groups: [4, 4, 4, 4, 3],
    cvc: 3 };

  function digits(text) {
    return text.replace(/\D/g, "");
  }

  function brandOf(pan) {
    for (var i = 0; i < BRANDS.length; i++) {
      if (BRANDS[i].pattern.test(pan)) {
        return BRANDS[i];
      }
    }
    return UNKNOWN;
  }

  function luhn(pan) {
    var sum = 0;
    for (var i = 0; i < pan.length; i++) {
      var d = +pan[pan.length - 1 - i];
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return pan.length > 0 && sum % 10 === 0;
  }

  function grouped(pan, groups) {
    var parts = [], at = 0;
    for (var i = 0; i < groups.length && at < pan.length; i++) {
      parts.push(pan.slice(at, at + groups[i]));
      at += groups[i];
    }
    return parts.join(" ");
  }

  // Each check answers null when the field is fine, else the message shown under the fields.
  function numberProblem() {
    var pan = digits(number.value);
    var brand = brandOf(pan);
    if (!pan) return "Enter the card number.";
    if (brand.lengths.indexOf(pan.length) < 0 || !luhn(pan)) return "The card number is not valid.";
    return null;
  }

  function expiryParts() {
    var d = digits(expiry.value);
    return { month: +d.slice(0, 2), year: 2000 + +d.slice(2, 4), complete: d.length === 4 };
  }

  function expiryProblem() {
    var e = expiryParts();
    if (!e.complete || e.month < 1 || e.month > 12) return "Enter the expiry date as MM / YY.";
    var now = new Date();
    if (e.year < now.getFullYear() || (e.year === now.getFullYear() && e.month < now.getMonth() + 1)) {
      return "The card has expired.";
    }
    return null;
  }

  function cvcProblem() {
    var wanted = brandOf(digits(number.value)).cvc;
    return digits(cvc.value).length === wanted ? null : "Enter the " + wanted + "-digit security code.";
  }

  var CHECKS = [[number, numberProblem], [expiry, expiryProblem], [cvc, cvcProblem]];

  function show(input, message) {
    input.setAttribute("aria-invalid", message ? "true" : "false");
    errorBox.textContent = message || "";
  }

  // The first problem among the fields (all of them marked), or null.
  function validate() {
    var first = null;
    CHECKS.forEach(function (check) {
      var problem = check[1]();
      check[0].setAttribute("aria-invalid", problem ? "true" : "false");
      if (problem && !first) first = { input: check[0], message: problem };
    });
    errorBox.textContent = first ? first.message : "";
    return first;
  }

  function post(message) {
    window.parent.postMessage(message, PARENT_ORIGIN); // never "*": the card fields' state is the shop's only
  }

  function changed() {
    var pan = digits(number.value);
    var brand = brandOf(pan);
    var complete = !numberProblem() && !expiryProblem() && !cvcProblem();
    post({ paywave: "change", complete: complete, brand: brand.name, error: errorBox.textContent || null });
  }

  number.addEventListener("input", function () {
    var pan = digits(number.value).slice(0, 19);
    var brand = brandOf(pan);
    number.value = grouped(pan, brand.groups);
    brandLabel.textContent = brand.label;
    cvc.maxLength = brand.cvc;
    if (number.getAttribute("aria-invalid") === "true") show(number, numberProblem());
    changed();
  });
  number.addEventListener("blur", function () {
    if (number.value) show(number, numberProblem());
  });

  expiry.addEventListener("input", function (event) {
    var d = digits(expiry.value).slice(0, 4);
    if (d.length === 1 && +d > 1) d = "0" + d; // "4" is April
    var deleting = event.inputType && event.inputType.indexOf("delete") === 0;
    expiry.value = d.length > 2 || (d.length === 2 && !deleting) ? d.slice(0, 2) + " / " + d.slice(2) : d;
    changed();
  });
  expiry.addEventListener("blur", function () {
    if (expiry.value) show(expiry, expiryProblem());
  });

  cvc.addEventListener("input", function () {
    cvc.value = digits(cvc.value).slice(0, 4);
    changed();
  });

  function fail(id, type, message, field) {
    post({ paywave: "result", id: id, error: { type: type, message: message, field: field || null } });
  }

  function createToken(id) {
    var problem = validate();
    if (problem) {
      problem.input.focus();
      return fail(id, "validation_error", problem.message, problem.input.id);
    }
    if (busy) return fail(id, "validation_error", "A token is being created already.");
    busy = true;
    var e = expiryParts();
    var body = {
      card: { number: digits(number.value), exp_month: e.month, exp_year: e.year, cvc: digits(cvc.value) }
    };
    fetch("../tokens", { // beside /v1, wherever PayWave's public URL puts it
      method: "POST",
      headers: { "Authorization": "Bearer " + KEY, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          post({ paywave: "result", id: id, token: answer });
          return;
        }
        var first = (answer.errors || [])[0];
        var message = first ? "The card's " + first.field.replace("card.", "").replace("_", " ") + " " +
          first.reason + "." : answer.detail || answer.title || "The card could not be saved.";
        errorBox.textContent = message;
        fail(id, response.status === 422 ? "validation_error" : "api_error", message, first && first.field);
      });
    }).catch(function () {
      errorBox.textContent = "PayWave could not be reached. Try again.";
      fail(id, "network_error", errorBox.textContent);
    }).then(function () {
      busy = false;
    });
  }

  window.addEventListener("message", function (event) {
    // Only our parent, only at the origin the server allowed this page to be framed by.
    if (event.source !== window.parent || event.origin !== PARENT_ORIGIN) return;
    var message = event.data || {};
    if (message.paywave === "createToken" && typeof message.id === "number") createToken(message.id);
  });

  // The fields' height after each layout: measured when the script runs, a frame the browser has not laid
  // out yet (a page still loading, a busy machine) measures 0, and the fields would vanish.
  new ResizeObserver(function () {
    post({ paywave: "resize", height: document.documentElement.scrollHeight });
  }).observe(document.body);
  post({ paywave: "ready" });
})();

