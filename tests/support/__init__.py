"""What every suite uses: reading pages, sending forms, signing people in, the clock, the outbox."""
