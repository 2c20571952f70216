"""Fixed SQL in place of the ORM, where a rater waits for it: why it exists, and how it is kept honest.

The rating page and submit run on every item a rater sees, and at the rates Accord is measured at (a cycle in
a few milliseconds) building the ORM's queries cost more than the database took to run them. Two tools do
the ORM's work with statements built once per model and process:

- `rows.models_from_sql` turns a fixed SELECT into model instances, as `Model.objects.raw()` would (the
  rating page's reads: the campaign with the caller's role, the rater's leases, the item to show, the
  signed-in user);
- `sessions.SessionStore` is Django's database session store with its read as one fixed statement.

`postgresql` is Django's PostgreSQL backend with bulk writes and cascading deletes split to fit the 65,535
parameters a statement may bind once parameters are bound on the server (which lets psycopg prepare the
queue's statements).

The queue's own statements (ratings.queue_selectors, ratings.queue) are SQL for another
reason: their shape (index ranges, row locks, probes per row) must not depend on what the ORM or the planner's
statistics would choose.

Each tool stays only while it saves a share of a cycle that the throughput benchmarks can see: 5 % or more of
the instructions per cycle, counted by benchmarks/rating_instructions.py with the tool turned off. The rows
tool saves 12 %, the signed-in user's read 7 %, the session read 6 % (benchmarks/RESULTS.md, "What the
fixed SQL saves"). A one-row INSERT tool saved 3 % and was dropped: the rating and the lease use save().

How it is checked: tests/test_fixed_sql.py reads the same rows through these tools and through the ORM on
both databases and compares every field; tests/ratings/test_rate_queries.py pins how many
statements a rating cycle runs; tests/ratings/test_queue_plan.py (PostgreSQL) pins the plan of each queue
statement. benchmarks/rating_instructions.py measures what they save.
"""
