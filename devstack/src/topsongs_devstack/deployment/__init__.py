"""The deployment declared once: every service's command, settings, ports, health check and Kafka user."""
