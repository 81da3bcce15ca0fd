"""Open data: what a district chooses to publish without sign-in, as JSON, CSV, a Data Package and
plain HTML "you said, we did" pages."""
