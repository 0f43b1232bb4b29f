using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.SmlDist;

/// <summary>
/// Maps a student stage feature (N, Cs, Ts) onto the teacher's (N, Ct, Tt): a 1x1 convolution Cs → Ct when the
/// channel counts differ, then linear interpolation along time when the lengths differ (a fixed (Ts, Tt)
/// matrix, align_corners=False). Identity when the shapes already match.
/// </summary>
public sealed class StageAdapter : Module
{
    private readonly Tensor? _interp;

    public StageAdapter(int studentChannels, int studentLength, int teacherChannels, int teacherLength, Rng rng, Device device)
    {
        StudentChannels = studentChannels; StudentLength = studentLength; TeacherChannels = teacherChannels; TeacherLength = teacherLength;
        if (studentChannels != teacherChannels)
            Conv = RegisterModule("conv", new Conv1d(studentChannels, teacherChannels, 1, 1, 0, 1, 1, true, rng, device));
        if (studentLength != teacherLength)
            _interp = TensorScope.Unscoped(() => Tensor.FromArray(Tensor.LinearInterpolationMatrix(studentLength, teacherLength), [studentLength, teacherLength], device)).Persist();
    }

    public int StudentChannels { get; }
    public int StudentLength { get; }
    public int TeacherChannels { get; }
    public int TeacherLength { get; }
    public Conv1d? Conv { get; }
    public bool IsIdentity => Conv == null && _interp == null;

    public override Tensor Forward(Tensor input)
    {
        var h = Conv != null ? Conv.Forward(input) : input;
        return _interp != null ? h.MatMul(_interp) : h;
    }
}
