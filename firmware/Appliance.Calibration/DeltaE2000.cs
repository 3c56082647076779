namespace Appliance.Calibration;

/// <summary>
/// CIEDE2000 colour difference (CIE 142-2001), with kL = kC = kH = 1, as worked through by
/// Sharma, Wu and Dalal (2005), whose test pairs the unit tests check it against. About 1 is
/// the smallest difference a trained eye sees side by side.
/// </summary>
public static class DeltaE2000
{
    public static double Between(Lab first, Lab second)
    {
        var c1 = Math.Sqrt((first.A * first.A) + (first.B * first.B));
        var c2 = Math.Sqrt((second.A * second.A) + (second.B * second.B));
        var cMean = (c1 + c2) / 2;
        var c7 = Math.Pow(cMean, 7);
        var g = 0.5 * (1 - Math.Sqrt(c7 / (c7 + Math.Pow(25, 7))));
        var a1 = (1 + g) * first.A;
        var a2 = (1 + g) * second.A;
        var c1p = Math.Sqrt((a1 * a1) + (first.B * first.B));
        var c2p = Math.Sqrt((a2 * a2) + (second.B * second.B));
        var h1p = Hue(first.B, a1);
        var h2p = Hue(second.B, a2);

        var dL = second.L - first.L;
        var dC = c2p - c1p;
        double dh;
        if (c1p * c2p == 0)
        {
            dh = 0;
        }
        else if (Math.Abs(h2p - h1p) <= 180)
        {
            dh = h2p - h1p;
        }
        else
        {
            dh = h2p - h1p > 180 ? h2p - h1p - 360 : h2p - h1p + 360;
        }

        var dH = 2 * Math.Sqrt(c1p * c2p) * Math.Sin(Radians(dh / 2));

        var lMean = (first.L + second.L) / 2;
        var cpMean = (c1p + c2p) / 2;
        double hMean;
        if (c1p * c2p == 0)
        {
            hMean = h1p + h2p;
        }
        else if (Math.Abs(h1p - h2p) <= 180)
        {
            hMean = (h1p + h2p) / 2;
        }
        else
        {
            hMean = h1p + h2p < 360 ? (h1p + h2p + 360) / 2 : (h1p + h2p - 360) / 2;
        }

        var t = 1 - (0.17 * Math.Cos(Radians(hMean - 30))) + (0.24 * Math.Cos(Radians(2 * hMean)))
            + (0.32 * Math.Cos(Radians((3 * hMean) + 6))) - (0.20 * Math.Cos(Radians((4 * hMean) - 63)));
        var dTheta = 30 * Math.Exp(-Math.Pow((hMean - 275) / 25, 2));
        var cp7 = Math.Pow(cpMean, 7);
        var rc = 2 * Math.Sqrt(cp7 / (cp7 + Math.Pow(25, 7)));
        var lShift = (lMean - 50) * (lMean - 50);
        var sl = 1 + (0.015 * lShift / Math.Sqrt(20 + lShift));
        var sc = 1 + (0.045 * cpMean);
        var sh = 1 + (0.015 * cpMean * t);
        var rt = -Math.Sin(Radians(2 * dTheta)) * rc;

        var l = dL / sl;
        var c = dC / sc;
        var h = dH / sh;
        return Math.Sqrt((l * l) + (c * c) + (h * h) + (rt * c * h));
    }

    private static double Hue(double b, double aPrime)
    {
        if (b == 0 && aPrime == 0)
        {
            return 0;
        }

        var degrees = Math.Atan2(b, aPrime) * 180 / Math.PI;
        return degrees < 0 ? degrees + 360 : degrees;
    }

    private static double Radians(double degrees) => degrees * Math.PI / 180;
}
