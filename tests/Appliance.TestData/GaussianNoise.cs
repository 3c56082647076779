namespace Appliance.TestData;

/// <summary>Standard normal samples for the simulated sensors' noise (Box–Muller).</summary>
internal static class GaussianNoise
{
    public static double Sample(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
