-- wrk script: GET one payment, its path from BENCH_PATH (run from the project root).
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
dofile("bench/report.lua")
