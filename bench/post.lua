-- wrk script: POST /payments with a card (run from the project root).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = '{"amount": 1050, "currency": "USD", "payment_method": {"type": "card", "card": ' ..
           '{"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}}}'
dofile("bench/report.lua")
