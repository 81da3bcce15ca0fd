"""Practice: the catalogue, classroom walkthroughs, PDSA cycles, PLC meetings and student feedback."""
