"""The telephony core. It never imports the manager or a transport."""
