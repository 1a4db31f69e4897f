"""DirectConnect hub surveys (ADC and NMDC): what a hub announced, who shared what, exact bytes kept."""
