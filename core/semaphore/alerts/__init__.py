"""Task alerts: what an alert says (:mod:`.building`), how it goes out in the background
(:mod:`.dispatch`), the HTTP and SMTP senders notifiers share (:mod:`.http`, :mod:`.email`)."""
