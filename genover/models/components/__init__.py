"""Plain ``nn.Module`` building blocks shared by the generators."""
