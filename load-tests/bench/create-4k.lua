-- wrk script: POST 4 KiB objects.
wrk.method = "POST"
wrk.body = string.rep("x", 4096)
