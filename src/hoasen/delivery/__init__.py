"""One delivery pattern for everything that leaves the office: exchange packages, campaigns and
channel posts are queued per destination with an idempotency key, tried over a transport
(folder, email, SFTP, HTTP push), retried with backoff and recorded attempt by attempt."""
