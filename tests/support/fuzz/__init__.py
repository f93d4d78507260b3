"""The egress fuzz: seeded turns with private values, run at the wire (benchmarks/egress_fuzz.py).

`values` makes the private values and their spellings, `files` the attachments,
`wire` the loopback cloud and memory server that record every request, `cases`
the seeded turns, `world` the runtime they run in, `placements` each position a
value can take, and `tally` the leak check and the table.
"""
