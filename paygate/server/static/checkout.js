/*!
 * paygate checkout.js: take payments on your own page, without a redirect.
 *
 *   <script src="http://localhost:3001/checkout.js"></script>
 *   <script>
 *     new PaymentGateway({ key: "key_test_abc123", orderId: "order_…",
 *       onSuccess: function (data) { ... data.paymentId ... },
 *       onFailure: function (err) { ... },
 *       onClose: function () { ... } }).open();
 *   </script>
 *
 * open() lays a modal (#payment-gateway-modal) over the page, holding an iframe with the hosted
 * checkout page, which is served from the same origin as this file. Card and UPI details are
 * typed into that iframe and never touch the merchant's page. The page reports back with
 * postMessage; messages are accepted only from the checkout origin and from our own iframe.
 *
 * Dependency-free and served as-is: no build step.
 */
(function (window, document) {
  "use strict";

  var MODAL_ID = "payment-gateway-modal";
  var MESSAGE_TYPES = { payment_success: true, payment_failed: true, close_modal: true };

  function scriptOrigin() {
    var script = document.currentScript;
    if (!script) {
      var all = document.getElementsByTagName("script");
      for (var i = all.length - 1; i >= 0; i--) {
        if (/\/checkout\.js(\?|#|$)/.test(all[i].src)) { script = all[i]; break; }
      }
    }
    try { return script && script.src ? new URL(script.src, window.location.href).origin : null; } catch (e) { return null; }
  }

  // Captured while this file is being executed: afterwards currentScript is gone.
  var CHECKOUT_ORIGIN = scriptOrigin();
  var active = null;  // the one open PaymentGateway: modals never stack

  function setStyles(el, styles) {
    for (var k in styles) if (Object.prototype.hasOwnProperty.call(styles, k)) el.style[k] = styles[k];
  }

  function testIds(el, id) {
    el.setAttribute("data-test-id", id);
    el.setAttribute("data-testid", id);
  }

  function PaymentGateway(options) {
    if (!(this instanceof PaymentGateway)) return new PaymentGateway(options);
    options = options || {};
    if (typeof options.key !== "string" || !options.key) {
      throw new Error("PaymentGateway: `key` (your API key) is required");
    }
    if (typeof options.orderId !== "string" || !options.orderId) {
      throw new Error("PaymentGateway: `orderId` (an order created on your server) is required");
    }
    ["onSuccess", "onFailure", "onClose"].forEach(function (name) {
      if (options[name] !== undefined && typeof options[name] !== "function") {
        throw new Error("PaymentGateway: `" + name + "` must be a function");
      }
    });
    var origin = options.checkoutUrl ? new URL(options.checkoutUrl, window.location.href).origin : CHECKOUT_ORIGIN;
    if (!origin) throw new Error("PaymentGateway: cannot tell where checkout.js was loaded from; pass `checkoutUrl`");
    this.options = options;
    this.checkoutOrigin = origin;
    this.modal = null;
    this.iframe = null;
    this._onMessage = this._handleMessage.bind(this);
    this._onKeydown = this._handleKeydown.bind(this);
  }

  PaymentGateway.prototype.isOpen = function () { return !!this.modal; };

  PaymentGateway.prototype.checkoutSrc = function () {
    var q = "order_id=" + encodeURIComponent(this.options.orderId) + "&embedded=true&key=" + encodeURIComponent(this.options.key);
    var here = window.location.origin;
    if (here && here !== "null") q += "&origin=" + encodeURIComponent(here);
    return this.checkoutOrigin + "/checkout?" + q;
  };

  PaymentGateway.prototype.open = function () {
    if (this.modal) { this.iframe.focus(); return this; }
    if (active && active !== this) active.close();
    var stray = document.getElementById(MODAL_ID);
    if (stray) stray.parentNode.removeChild(stray);

    var modal = document.createElement("div");
    modal.id = MODAL_ID;
    testIds(modal, "payment-modal");
    modal.setAttribute("role", "dialog");
    modal.setAttribute("aria-modal", "true");
    modal.setAttribute("aria-label", "Checkout");
    setStyles(modal, {
      position: "fixed", top: "0", right: "0", bottom: "0", left: "0", zIndex: "2147483000",
      background: "rgba(15, 23, 42, 0.55)", display: "flex", alignItems: "center", justifyContent: "center"
    });

    var small = window.matchMedia && window.matchMedia("(max-width: 480px)").matches;
    var frame = document.createElement("div");
    setStyles(frame, {
      position: "relative", background: "#fff", overflow: "hidden",
      width: small ? "100%" : "440px", maxWidth: "100%", height: small ? "100%" : "680px", maxHeight: "100%",
      borderRadius: small ? "0" : "14px", boxShadow: "0 20px 60px rgba(0, 0, 0, 0.35)"
    });

    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", "Close checkout");
    testIds(close, "close-modal-button");
    close.textContent = "\u00d7";
    setStyles(close, {
      position: "absolute", top: "8px", right: "8px", width: "36px", height: "36px", border: "0", borderRadius: "18px",
      background: "rgba(15, 23, 42, 0.08)", color: "#1a2233", font: "22px/36px system-ui, sans-serif",
      cursor: "pointer", zIndex: "1", padding: "0"
    });
    var self = this;
    close.addEventListener("click", function () { self.close(); });

    var iframe = document.createElement("iframe");
    testIds(iframe, "payment-iframe");
    iframe.title = "Secure checkout";
    iframe.src = this.checkoutSrc();
    iframe.setAttribute("allow", "payment");
    setStyles(iframe, { border: "0", width: "100%", height: "100%", display: "block" });

    frame.appendChild(close);
    frame.appendChild(iframe);
    modal.appendChild(frame);

    this.modal = modal;
    this.iframe = iframe;
    this._closeButton = close;
    this._returnFocus = document.activeElement;
    this._bodyOverflow = document.body.style.overflow;
    document.body.style.overflow = "hidden";
    document.body.appendChild(modal);
    active = this;
    window.addEventListener("message", this._onMessage);
    document.addEventListener("keydown", this._onKeydown, true);
    iframe.focus();
    return this;
  };

  PaymentGateway.prototype.close = function () {
    if (!this.modal) return this;
    window.removeEventListener("message", this._onMessage);
    document.removeEventListener("keydown", this._onKeydown, true);
    if (this.modal.parentNode) this.modal.parentNode.removeChild(this.modal);
    document.body.style.overflow = this._bodyOverflow || "";
    this.modal = null;
    this.iframe = null;
    if (active === this) active = null;
    var back = this._returnFocus;
    this._returnFocus = null;
    if (back && typeof back.focus === "function" && document.contains(back)) back.focus();
    if (this.options.onClose) this.options.onClose();
    return this;
  };

  PaymentGateway.prototype._handleMessage = function (event) {
    if (!this.iframe || event.origin !== this.checkoutOrigin || event.source !== this.iframe.contentWindow) return;
    var msg = event.data;
    if (!msg || typeof msg !== "object" || !MESSAGE_TYPES[msg.type]) return;
    if (msg.type === "payment_success") {
      if (this.options.onSuccess) this.options.onSuccess(msg.data || {});
    } else if (msg.type === "payment_failed") {
      if (this.options.onFailure) this.options.onFailure(msg.data || {});
    } else {
      this.close();
    }
  };

  PaymentGateway.prototype._handleKeydown = function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      this.close();
    } else if (event.key === "Tab" && this.modal) {
      // Keep focus inside the dialog: the close button and the checkout frame.
      var first = this._closeButton, last = this.iframe;
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      else if (!this.modal.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
    }
  };

  PaymentGateway.version = "1.0.0";
  window.PaymentGateway = PaymentGateway;
})(window, document);
