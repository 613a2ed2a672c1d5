"""Task alerts: what an alert says (:mod:`.building`), where it waits until sent (:mod:`.outbox`),
how it goes out in the background (:mod:`.dispatch`), the HTTP and SMTP senders notifiers share
(:mod:`.http`, :mod:`.mail`)."""
