-- wrk script: POST /payments with a card, then print latency percentiles as JSON.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = '{"amount": 1050, "currency": "USD", "payment_method": {"type": "card", "card": ' ..
           '{"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}}}'

done = function(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.3f, "p99_ms": %.3f, "p999_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
