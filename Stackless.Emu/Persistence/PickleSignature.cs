using System.Security.Cryptography;
using System.Text;

namespace Stackless.Emu;

/// <summary>
/// The signature of a signed pickle: HMAC-SHA256 with <see cref="PickleOptions.SigningKey"/> over the format's name and
/// version (<see cref="PickleFormat.SignaturePrefix"/>) followed by the exact bytes of the body. The loader checks it
/// before it reads anything in the body, in constant time.
/// </summary>
internal static class PickleSignature
{
    private static readonly byte[] Prefix = Encoding.UTF8.GetBytes(PickleFormat.SignaturePrefix);

    /// <summary>The "signature" value of <paramref name="body"/> under <paramref name="key"/>.</summary>
    public static string Sign(byte[] key, ReadOnlySpan<byte> body) => PickleFormat.SignatureAlgorithm + Convert.ToBase64String(Mac(key, body));

    /// <summary>Whether <paramref name="signature"/> is the signature of <paramref name="body"/> under <paramref name="key"/>.</summary>
    public static bool Verify(byte[] key, ReadOnlySpan<byte> body, string signature)
    {
        if (!signature.StartsWith(PickleFormat.SignatureAlgorithm, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signature[PickleFormat.SignatureAlgorithm.Length..], given, out var written) || written != given.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, Mac(key, body));
    }

    private static byte[] Mac(byte[] key, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(Prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
