namespace Sentire.Evaluation.Charts;

/// <summary>
/// Approximate text extents for laying out SVG charts without a font engine: the advance widths of DejaVu Sans
/// (the font Debian's fontconfig gives for <c>sans-serif</c>, first in the charts' <see cref="FontFamily"/>), measured
/// in Chromium with canvas <c>measureText</c> at 1000 px. Verdana, the next font in the list, is no wider; Arial and
/// Helvetica are narrower, so text laid out with these widths fits in them too. Characters outside printable ASCII
/// count as 1 em, the width of a CJK ideograph and more than any Latin letter.
/// </summary>
public static class TextMetrics
{
    /// <summary>The font list every chart sets on its root element.</summary>
    public const string FontFamily = "'DejaVu Sans', Verdana, sans-serif";

    /// <summary>Ascent and descent of DejaVu Sans as fractions of the font size (fontBoundingBox in Chromium): a line's
    /// glyphs lie between baseline - Ascent * size and baseline + Descent * size.</summary>
    public const double Ascent = 0.928, Descent = 0.236;

    // Advance widths in 1/1000 em of ' ' (32) to '~' (126).
    static ReadOnlySpan<short> Advance =>
    [
        318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,   // space ! " # $ % & ' ( ) * + , - . /
        636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,   // 0-9 : ; < = > ?
        1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,  // @ A-O
        603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,   // P-Z [ \ ] ^ _
        500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,   // ` a-o
        635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,        // p-z { | } ~
    ];

    /// <summary>Width in px of <paramref name="text"/> set at <paramref name="size"/> px.</summary>
    public static double Width(string text, double size)
    {
        double em = 0;
        foreach (char c in text) em += c is >= ' ' and <= '~' ? Advance[c - ' '] : 1000;
        return em * size / 1000;
    }
}
