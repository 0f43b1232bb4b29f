namespace HarFromScratch.Har.Data;

/// <summary>
/// How a dataset's channels are computed from a plainer recording (UCI-HAR's nine from a phone's raw accelerometer and
/// gyroscope), so that `har predict` can take what a device records rather than the dataset's preprocessed signals.
/// </summary>
/// <param name="Inputs">The recording's channels, by name.</param>
/// <param name="InputUnits">Their units (<see cref="SensorUnits"/>): what the unit options convert the recording to.</param>
/// <param name="Outputs">The dataset's channels, in the dataset's order.</param>
/// <param name="Description">What is computed, for the command's summary.</param>
/// <param name="Derive">Sample-major inputs (<c>[t * Inputs + c]</c>) and their row count to sample-major outputs, at the dataset's rate.</param>
public sealed record ChannelDerivation(string[] Inputs, string[] InputUnits, string[] Outputs, string Description, Func<float[], int, float[]> Derive);
