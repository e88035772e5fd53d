"""`threatmodel portfolio`: every assessment of an organisation in one register."""
