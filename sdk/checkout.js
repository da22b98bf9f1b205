/* checkout.js: the embeddable SDK (see issue 5) */
